// The pod sandbox ("pause") image's program: see main.go and scripts/images.sh.
module team-environments/images/pause

go 1.22
