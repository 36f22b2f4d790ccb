FROM , AS ch
CMD ["aL"\u00h
