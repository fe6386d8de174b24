"""The code of the reference manifest's plugin, acme.kettle: the objects its manifest names."""
