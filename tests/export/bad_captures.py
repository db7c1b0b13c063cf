"""bad_captures.py — export --fleet given damaged or hostile tars: one clear error naming the file (exit 1),
nothing written outside the unpack directory, nothing left behind.
usage: bad_captures.py VFIOKIT SRCDIR"""
import gzip
import io
import os
import subprocess
import sys
import tarfile
import tempfile

from exportcheck import Fail, check, run

vfiokit, src = sys.argv[1], sys.argv[2]
os.chdir(src)
tmp = tempfile.mkdtemp(prefix='vfiokit-bad-captures-')
unpack_dir = os.path.join(tmp, 'a', 'b', 'unpack')  # deep enough for "../../.." to stay inside tmp
os.makedirs(unpack_dir)
os.environ['TMPDIR'] = unpack_dir


def member(name, kind=tarfile.REGTYPE, data=b'', link=''):
    m = tarfile.TarInfo(name)
    m.type, m.size, m.linkname, m.mode = kind, len(data) if kind == tarfile.REGTYPE else 0, link, 0o644
    return m, data


def make(name, members, mode='w'):
    path = os.path.join(tmp, name)
    with tarfile.open(path, mode) as t:
        for m, data in members:
            t.addfile(m, io.BytesIO(data) if m.type == tarfile.REGTYPE else None)
    return path


CASES = []
good = os.path.join(tmp, 'good.tar')
run(vfiokit, '--root', 'examples/hosts/desktop-nvidia', 'capture', '-o', good)
with open(good, 'rb') as f:
    whole = f.read()
with open(os.path.join(tmp, 'truncated.tar'), 'wb') as f:
    f.write(whole[:len(whole) // 2 + 100])
CASES.append(('truncated.tar', 'truncated or damaged'))
with open(os.path.join(tmp, 'garbage.tar'), 'wb') as f:
    f.write(b'this is not a tar file at all\n' * 40)
CASES.append(('garbage.tar', 'not a vfiokit capture'))
with open(os.path.join(tmp, 'zero.tar'), 'wb') as f:
    pass
CASES.append(('zero.tar', 'not a vfiokit capture'))
make('empty.tar', [])
CASES.append(('empty.tar', 'an empty archive'))
make('dotdot.tar', [member('sys'), member('../../../escaped', data=b'x')])
CASES.append(('dotdot.tar', "entry '../../../escaped' climbs out with '..'"))
make('absolute.tar', [member(os.path.join(tmp, 'absolute-escaped'), data=b'x')])
CASES.append(('absolute.tar', 'is an absolute path'))
make('link-out.tar', [member('etc', tarfile.DIRTYPE), member('etc/x', tarfile.SYMTYPE, link='../../../../..')])
CASES.append(('link-out.tar', "is a symlink to '../../../../..', outside the capture"))
make('link-abs.tar', [member('sys', tarfile.SYMTYPE, link=tmp)])
CASES.append(('link-abs.tar', 'outside the capture'))
make('link-sneaky.tar', [member('a', tarfile.DIRTYPE), member('a/up', tarfile.SYMTYPE, link='..'),
                         member('b', tarfile.SYMTYPE, link='a/up/..')])
CASES.append(('link-sneaky.tar', "'b' is a symlink to 'a/up/..', outside the capture"))
make('through-link.tar', [member('real', tarfile.DIRTYPE), member('l', tarfile.SYMTYPE, link='real'),
                          member('l/file', data=b'x')])
CASES.append(('through-link.tar', "lies under 'l', which is not a directory"))
make('hardlink.tar', [member('f', data=b'x'), member('g', tarfile.LNKTYPE, link='f')])
CASES.append(('hardlink.tar', 'is a hard link'))
make('fifo.tar', [member('p', tarfile.FIFOTYPE)])
CASES.append(('fifo.tar', 'is a device, fifo or socket'))
make('twice.tar', [member('f', data=b'x'), member('f', data=b'y')])
CASES.append(('twice.tar', "entry 'f': it appears twice"))
big = os.path.join(tmp, 'big.tar.gz')
with gzip.open(big, 'wb', compresslevel=1) as g:  # 65 MiB of zeros in ~65 KiB
    with tarfile.open(fileobj=g, mode='w') as t:
        m = tarfile.TarInfo('sys/huge')
        m.size = 65 << 20

        class Zeros(io.RawIOBase):
            left = m.size

            def readinto(self, b):
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n
        t.addfile(m, Zeros())
CASES.append(('big.tar.gz', 'more than a capture'))
make('not-a-host.tar', [member('etc', tarfile.DIRTYPE), member('etc/hostname', data=b'h\n')])
CASES.append(('not-a-host.tar', 'not a vfiokit capture: it has no sys/bus/pci/devices'))
CASES.append(('no-such.tar', 'No such file or directory'))

n = 0
try:
    for name, want in CASES:
        path = os.path.join(tmp, name)
        out, err = run(vfiokit, 'export', '--format=nova', '--fleet', good, path, expect=1)
        check(out == '', '%s: output on stdout although it failed:\n%s' % (name, out))
        lines = err.strip().split('\n')
        check(len(lines) == 1 and lines[0].startswith('vfiokit: ' + path) and want in lines[0],
              '%s: expected one error line naming the file and saying %r, got:\n%s' % (name, want, err))
        check(os.listdir(unpack_dir) == [], '%s: left behind: %r' % (name, os.listdir(unpack_dir)))
        escaped = [p for p in ('escaped', 'absolute-escaped', 'a/escaped', 'a/b/escaped') if
                   os.path.lexists(os.path.join(tmp, p))]
        check(not escaped, '%s: wrote outside the unpack directory: %r' % (name, escaped))
        n += 1
        if os.environ.get("SHOW"):
            print(lines[0])
except (Fail, subprocess.SubprocessError) as e:
    print('FAIL: %s' % e, file=sys.stderr)
    sys.exit(1)
finally:
    subprocess.run(['rm', '-rf', tmp])
print('%d damaged or hostile captures refused with one clear line each, nothing left behind' % n)
