#!/usr/bin/python3
"""treesnap.py - print one line per entry of a directory tree (path, type, mode, sha256 or link target), sorted.

Two trees are byte-identical (every file's bytes and mode, every link, the list of entries) iff their snapshots
are equal.  usage: treesnap.py DIR [--exclude RELPATH]... [--skip-entry RELPATH]...
--exclude leaves out a path and everything under it; --skip-entry leaves out only that directory's own line (its
contents are still listed), for a directory a tool may create as the parent of an excluded one.
"""
import hashlib
import os
import stat
import sys


def main(argv):
    root = argv[1]
    excluded, skipped = set(), set()
    i = 2
    while i < len(argv):
        if argv[i] not in ('--exclude', '--skip-entry') or i + 1 >= len(argv):
            sys.exit('usage: treesnap.py DIR [--exclude RELPATH]... [--skip-entry RELPATH]...')
        (excluded if argv[i] == '--exclude' else skipped).add(argv[i + 1].strip('/'))
        i += 2
    out = []
    for d, dirs, files in os.walk(root):    # never follows symlinks (sysfs has cycles)
        for name in dirs + files:
            path = os.path.join(d, name)
            rel = os.path.relpath(path, root)
            if rel in excluded:
                continue
            st = os.lstat(path)
            mode = '%04o' % stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out.append('%s\tlink\t%s' % (rel, os.readlink(path)))
            elif stat.S_ISDIR(st.st_mode):
                if rel in skipped:
                    continue
                out.append('%s\tdir\t%s' % (rel, mode))
            elif stat.S_ISREG(st.st_mode):
                with open(path, 'rb') as f:
                    h = hashlib.sha256(f.read()).hexdigest()
                out.append('%s\tfile\t%s\t%d\t%s' % (rel, mode, st.st_size, h))
            else:
                out.append('%s\tother\t%s' % (rel, mode))
        dirs[:] = [x for x in dirs if os.path.relpath(os.path.join(d, x), root) not in excluded]
    out.sort()
    sys.stdout.write(''.join(line + '\n' for line in out))


if __name__ == '__main__':
    main(sys.argv)
