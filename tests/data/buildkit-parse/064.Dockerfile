FO
CMD [", "\ud800ŽPOINT BUILD RUN <<E
e
E
