"""acme.teatime.clock: declares the clock-tick hook, a member of the acme.teatime reference bundle."""
