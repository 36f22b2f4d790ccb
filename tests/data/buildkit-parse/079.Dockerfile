FROM scratch
HEALTHCHECK -/intervaDD…………………………………………………………………………………………………………………Ÿ…DDDDDDDDDDDDDDDDrt-intearlvK NONAE
