FROM ---f@ÜßarAxclude=x httx/y/z
