"""Unpack from a TensorFlow wheel only what tfjs-node's addon needs.

Usage: python3 extract_tf_wheel.py WHEEL DEST

Writes DEST/lib/{libtensorflow_cc.so.2,libtensorflow_framework.so.2} and the
headers reachable from the C API under DEST/include (the include closure of
tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h: ~100 files instead of the
wheel's 13,000). Files are written under temporary names and renamed, so an
interrupted run never leaves a truncated library behind.
"""
import os
import re
import shutil
import sys
import zipfile

LIBRARIES = ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2")
HEADER_ROOTS = (
    "tensorflow/c/c_api.h",
    "tensorflow/c/eager/c_api.h",
    "tensorflow/c/tf_datatype.h",
    "tensorflow/c/tf_status.h",
    "tensorflow/c/tf_tensor.h",
    "tensorflow/core/platform/ctstring_internal.h",
)
INCLUDE_PREFIX = "tensorflow/include/"
QUOTED_INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)


def write_member(wheel, member, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = target + ".partial"
    with wheel.open(member) as src, open(partial, "wb") as dst:
        shutil.copyfileobj(src, dst, 16 << 20)
    os.replace(partial, target)


def header_closure(wheel, names):
    pending, seen = list(HEADER_ROOTS), set()
    while pending:
        header = pending.pop()
        if header in seen or INCLUDE_PREFIX + header not in names:
            continue  # system and third-party headers are not needed by the C API
        seen.add(header)
        pending.extend(m.decode() for m in QUOTED_INCLUDE.findall(wheel.read(INCLUDE_PREFIX + header)))
    return sorted(seen)


def main(wheel_path, dest):
    with zipfile.ZipFile(wheel_path) as wheel:
        names = set(wheel.namelist())
        missing = [lib for lib in LIBRARIES if "tensorflow/" + lib not in names]
        if missing:
            sys.exit(f"{wheel_path}: not a TensorFlow 2.x CPU wheel with the C library (missing {', '.join(missing)})")
        headers = header_closure(wheel, names)
        absent = [h for h in HEADER_ROOTS if h not in headers]
        if absent:
            sys.exit(f"{wheel_path}: the wheel lacks C API headers {', '.join(absent)}")
        for header in headers:
            write_member(wheel, INCLUDE_PREFIX + header, os.path.join(dest, "include", header))
        for lib in LIBRARIES:
            write_member(wheel, "tensorflow/" + lib, os.path.join(dest, "lib", lib))
    print(f"unpacked {len(LIBRARIES)} libraries and {len(headers)} headers into {dest}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: extract_tf_wheel.py WHEEL DEST")
    main(sys.argv[1], sys.argv[2])
