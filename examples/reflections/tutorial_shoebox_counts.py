"""DIALS' Python-scripting tutorial, with only its imports changed.

Counts the foreground pixels of each indexed reflection's shoebox and prints
the histogram; also writes the histogram as a PNG.  Run with a .refl file, or
with no argument to use centroid_test_data/indexed.refl from the shared folder
($BEAMKIT_SHARED, default ../shared); exits 0 with a message when it is absent.
"""
import os
import sys
from pathlib import Path

from beamkit.reflections import flex, MaskCode


def analysis(filename):
    data = flex.reflection_table.from_file(filename)
    data = data.select(data.get_flags(data.flags.indexed))

    pixels = flex.int()

    for j in range(data.size()):
        pixels.append(data[j]["shoebox"].count_mask_values(MaskCode.Foreground))

    hist = flex.histogram(pixels.as_double(), data_min=0, data_max=1000, n_slots=100)

    for centre, value in zip(hist.slot_centers(), hist.slots()):
        print(centre, value)
    return pixels


def main(argv):
    if len(argv) > 1:
        filename = Path(argv[1])
    else:
        root = Path(__file__).resolve().parents[2]
        shared = Path(os.environ.get("BEAMKIT_SHARED", root.parent / "shared"))
        filename = shared / "dials-data" / "centroid_test_data" / "indexed.refl"
    if not filename.exists():
        print(f"tutorial: {filename} not found (set BEAMKIT_SHARED to the shared folder); skipping")
        return 0
    pixels = analysis(filename)

    # beyond the tutorial: the 10-slot histogram of notes §11 and a PNG of it
    h10 = flex.histogram(pixels.as_double(), n_slots=10)
    print("10-slot counts:", list(h10.slots()), "total foreground:", int(pixels.as_numpy_array().sum()))
    from beamkit.reflections.plots import plot_histogram
    out = Path(os.environ.get("BEAMKIT_EXAMPLES_OUT", "examples-out")) / "tutorial_shoebox_counts.png"
    plot_histogram(pixels.as_numpy_array(), out, bins=10, xlabel="foreground pixels per indexed shoebox",
                   title=filename.name)
    print("histogram written to", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
