"""Many fits of one survey: segments, waves, comparisons, latent classes, prediction."""

DEFAULT_MIN_N = 50  # the smallest segment csi fits (csi.multi.segments; --min-n)
