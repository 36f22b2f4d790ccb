FROM scatch
CMD ["a", "\u000ARG0", "\ud800"]
FR "RY