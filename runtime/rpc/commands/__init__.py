"""One module per control-API command; each docstring shows the request and the reply."""
