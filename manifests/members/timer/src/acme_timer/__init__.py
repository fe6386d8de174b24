"""acme.teatime.timer: a tea timer, a member of the acme.teatime reference bundle."""
