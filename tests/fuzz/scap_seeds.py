#!/usr/bin/env python3
"""Makes small seed captures for fuzz_scap from the fixture captures, at test
time (fixtures are never committed): for each capture, the section header, the
small metadata blocks and three windows of its event blocks, each seed under
12 KB so the fuzzer reaches events (and the converter) quickly.

    tests/fuzz/scap_seeds.py ../shared/fixtures/traces OUT_DIR
"""
import glob
import gzip
import os
import struct
import sys

EVENT_BLOCKS = {0x204, 0x208, 0x216, 0x217, 0x221, 0x222, 0x8010ABCD}
SHB = 0x0A0D0D0A
LIMIT = 12000

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
files = glob.glob(os.path.join(src, '*.scap')) + glob.glob(os.path.join(src, 'psp', '*.scap'))
for path in files:
    with gzip.open(path, 'rb') if open(path, 'rb').read(2) == b'\x1f\x8b' else open(path, 'rb') as f:
        data = f.read()
    for part in range(3):
        off, seed, n = 0, bytearray(), 0
        while off + 8 <= len(data):
            btype, blen = struct.unpack_from('<II', data, off)
            if blen < 12:
                break
            blk = data[off:off + blen]
            if btype == SHB:
                seed += blk
            elif btype in EVENT_BLOCKS:
                if (n // 60) % 3 == part and len(seed) + blen < LIMIT:
                    seed += blk
                n += 1
            elif blen < 400 and len(seed) + blen < LIMIT:
                seed += blk
            off += blen
        name = os.path.basename(path) + '.%d' % part
        with open(os.path.join(out, name), 'wb') as f:
            f.write(seed)
print('%d seeds in %s' % (3 * len(files), out))
