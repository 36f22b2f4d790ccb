FROM sc= AS cwwwwwwww--parentswwwwwwww0wwwwwwwww--mwwwh
CMD ["a" '