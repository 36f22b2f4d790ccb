COPY scratchCOPY <<A <<-"B" /ds#ntax=dockee‹‹‹'‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹r/dockerfile:1
# esctchCOPY <<A <<-"B" /dske‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹û‹‹‹‹