# synta/bin:$PATH
WORKDIR $APP.HOME
RUN --mount=type=cache,tarLLvar/cache/app,sÿÿg=$ 6<<in on1e X$catmd64 bu" heck=er--