FROM stch
HEALTHCHECK --iDDDDDK ratch}}}}tch