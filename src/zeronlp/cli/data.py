"""``zeronlp data``: the real datasets in the data directory: ``list`` what is there, ``fetch`` the rest."""
from __future__ import annotations

import os
import sys

from .common import CLIError, add_family, add_json, print_json

DIR_HELP = ("The data directory is $ZERONLP_DATA, else $XDG_CACHE_HOME/zeronlp/data (~/.cache/zeronlp/data), "
            "one folder per dataset.")


def register(sub) -> None:
    verbs = add_family(sub, "data", help="real datasets (nsmc, imdb, mr, multi30k): list and fetch",
                       description="The real datasets the classify and translate commands use. " + DIR_HELP)
    ls = verbs.add_parser("list", help="show each dataset: verified, present, missing or corrupt, and its path",
                          description="Show each dataset, whether it is present and verified (checksums, "
                                      "remembered by size and mtime, so only the first check reads the files), "
                                      "and where it is expected. " + DIR_HELP)
    ls.add_argument("--no-verify", action="store_true",
                    help="do not read files that were not verified before ('present' instead of 'verified')")
    add_json(ls)
    ls.set_defaults(func=run_list)

    f = verbs.add_parser("fetch", help="download a dataset (or take it from --from PATH) into the data directory",
                         description="Download the canonical public files of each dataset, convert them into the "
                                     "data directory's layout, verify the checksums and only then move them into "
                                     "place. With --from PATH the files come from a local folder (laid out like "
                                     "the data directory or holding the canonical downloads) or an archive "
                                     "instead. " + DIR_HELP)
    f.add_argument("names", nargs="+", metavar="NAME", help="dataset names (nsmc, imdb, mr, multi30k) or 'all'")
    f.add_argument("--from", dest="source", metavar="PATH",
                   help="a local folder or archive instead of the internet (e.g. aclImdb_v1.tar.gz)")
    f.add_argument("--force", action="store_true", help="fetch even when the dataset is present and verified")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json(f)
    f.set_defaults(func=run_fetch)


def run_list(args) -> int:
    from ..data import datasets

    rows = [datasets.status(name, check=not args.no_verify) for name in datasets.DATASETS]
    root = datasets.data_dir()
    origin = f"${datasets.ENV}" if os.environ.get(datasets.ENV) else "default"
    print(f"data directory: {root} ({origin})")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"  {r['name']:<{width}}  {r['state']:<8}  {r['path']}")
        if r["problem"]:
            print(f"  {'':<{width}}  {'':<8}  {r['problem']}")
    if args.json:
        print_json({"data_dir": str(root), "origin": origin, "datasets": rows})
    return 0


def run_fetch(args) -> int:
    from ..data import datasets

    names = list(datasets.DATASETS) if args.names == ["all"] else args.names
    for name in names:
        datasets.get(name)  # unknown names fail before any download
    results = []
    for name in names:
        try:
            results.append(datasets.fetch(name, args.source, force=args.force, progress=not args.quiet,
                                          log=_log(args)))
        except datasets.FetchError as e:
            raise CLIError(str(e)) from None
        except OSError as e:
            raise CLIError(f"fetch {name}: {e.strerror or e}") from None
    if args.json:
        print_json({"data_dir": str(datasets.data_dir()), "datasets": results})
    return 0


def _log(args):
    return (lambda line: print(line, file=sys.stderr)) if args.json else print

