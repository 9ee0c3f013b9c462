#   VOORBEELD / EXAMPLE - this is NOT the NCTV referentiekader.
#
#   The weegploeg weighs every signal against the referentiekader of the
#   NCTV (convenant art. 7.3).  That document is not public, so keten ships
#   this illustrative one to show the format.  Replace it with the real
#   one, give it the version the roster names (roster/referentiekader), and
#   point weegploeg/referentiekader in the uitvoerder's config at it.
#
#   Format (ZPL, docs/WEEGPLOEG.md): a version, an example flag, and one
#   section per criterion with a short code (1..32 of [a-z0-9-]) and text.
referentiekader
    version = example-2026.1
    example = 1
    criterion
        ideologie
            text = "Voorbeeld: uitingen die een extremistische ideologie onderschrijven"
        geweld
            text = "Voorbeeld: goedkeuren of verheerlijken van geweld"
        isolement
            text = "Voorbeeld: sociaal isolement of breuk met de eigen omgeving"
        uitreizen
            text = "Voorbeeld: aanwijzingen voor voorbereiding van uitreizen"
        netwerk
            text = "Voorbeeld: contacten in een extremistisch netwerk"
        tegenindicatie
            text = "Voorbeeld: beschermende factoren die tegen radicalisering wijzen"
