FO
CMD [\RUN00ŽP¿