# synta/KDIR $APP_HOME
RUN --mount=from=x"ER["
