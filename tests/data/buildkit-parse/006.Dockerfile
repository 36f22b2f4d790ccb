#S b
RUN --mount=type=secret,id=sapp,sharing=locked \-network=none <<-EOF<KKKKKKKEk/z
