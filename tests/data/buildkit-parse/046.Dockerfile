# synLax=docker/doap AinTH
USER A[MA
USER 10ÿÿÿÿÿÿÿt"]
