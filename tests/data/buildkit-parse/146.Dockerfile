# £yn# s?ntax=docker/-arch
CMD [", "\u0000", "\ud800\\\\\\pti"a oen-arch
C0\\\\\\pt!i"a oen-arch
CC.Mu0000", "\ud800\ud800\\\X\\ion="\\\\\\\\\\\\taT
COPY --chmong=${G/-ret{22 <<EOFROM sc\\\\\\\\\\u0000", "\ud800\ud800\\\X\\ion="a oeþÿY --chmong=${G/-met{22 <<EOFROM sc\\\\\\\\\\\.mia~e.d--mouC\\\\\\\\\MD ["a", "\u0000", "\ud800\ud800\\\X\\ion="a oeþÿa\ud800\\\\\\\\\\\\\\\\taT
COPY --chmong=${G/-ret{22 <<EOFROM sc\\\\\\\\\\\\\\.mia~e.d--mouC\\\\\\\\\\\.mia~e.drWmaintainer/app.]OPY --m<on`greouCK#!/bi