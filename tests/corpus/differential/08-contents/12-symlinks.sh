# A symlink added, a symlink retargeted, and a regular file replaced by a symlink.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'real config\n' > config.default; ln -s config.default config.link; printf 'plain\n' > was-file.txt; pin
ln -s config.default new.link; ln -sfn ../etc/other config.link; rm was-file.txt; ln -s config.default was-file.txt
commit "Symlinks"
fp -1
