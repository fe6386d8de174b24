"""acme.teatime.scale: a kitchen scale, a member of the acme.teatime reference bundle."""
