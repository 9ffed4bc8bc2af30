"""Built-in model specifications, installed as the package `csi.builtin_models`."""
