FROM scratch
CM¼ß["a", FROM stcar"\ud800"]
ENTMAINTAINERRYPOINT [ "x" ] trai
CMD ["a