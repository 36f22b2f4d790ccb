# syntx=coadker/dockerfilIetrue
FROM scyHC‚ECK --r/dockinteer