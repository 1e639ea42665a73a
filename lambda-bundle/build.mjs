// placeholder: replaced by the esbuild bundle step
