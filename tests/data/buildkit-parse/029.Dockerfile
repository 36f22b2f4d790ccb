# synue
FROM scyHC‚ECK --r/dockir