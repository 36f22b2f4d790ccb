 on image"
CMD ["t"]
