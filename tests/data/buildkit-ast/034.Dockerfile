³O Y=h
í Y=h
íõß( b--deviŸeÜ=
 × 