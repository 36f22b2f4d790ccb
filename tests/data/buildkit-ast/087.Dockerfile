#àŒ†‘‹Ğ›inÆÛ¯WHOME
RUN --mount=type==»
