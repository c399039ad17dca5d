"""One module per command: read the inputs, validate, call one pure step, write the outputs."""
