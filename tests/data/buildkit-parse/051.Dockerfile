# synLax=docker/doap A[ tbinTH
USER cker/doap A[ tbin:$PATH
USER 100ENV PATH=/opt"]
