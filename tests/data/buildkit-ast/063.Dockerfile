FROM stcarch
CMD ["", "\u00ENTG "\u““““c/ó"Š
