#!/usr/bin/env python3
"""Copy the parts of the official hl7.fhir.r4.core 4.0.1 package that Custodian reads.

Usage: python3 fhir-schemas/refresh.py PATH/TO/hl7.fhir.r4.core-4.0.1.tgz

Writes, next to this script:
  StructureDefinition/  the resources in resources.txt, Resource/DomainResource, every
                        primitive and complex datatype, and the SimpleQuantity/MoneyQuantity
                        profiles (files unchanged);
  SearchParameter/search-parameters.json
                        a Bundle of every SearchParameter in the package (each resource
                        unchanged except its narrative `text`, which nothing reads);
  ValueSet/, CodeSystem/
                        the value sets bound (required, extensible, preferred) by those
                        StructureDefinitions and the code systems they include, when the
                        package defines them (files unchanged);
  CompartmentDefinition-patient.json, package.json (unchanged).
The output is deterministic: running it twice gives no diff.
"""
import json
import os
import shutil
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tarfile.open(sys.argv[1], "r:gz") as tgz:
        files = {
            os.path.basename(m.name): tgz.extractfile(m).read()
            for m in tgz.getmembers()
            if m.isfile() and m.name.startswith("package/") and m.name.endswith(".json")
        }
    resources = [
        line.strip()
        for line in open(os.path.join(HERE, "resources.txt"), encoding="utf-8")
        if line.strip() and not line.startswith("#")
    ]
    for sub in ("StructureDefinition", "SearchParameter", "ValueSet", "CodeSystem"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
        os.makedirs(os.path.join(HERE, sub))

    by_url = {}
    for name, raw in files.items():
        if name.startswith(("ValueSet-", "CodeSystem-")):
            res = json.loads(raw)
            by_url[res["url"]] = (name, raw, res)

    wanted = set(resources) | {"Resource", "DomainResource", "SimpleQuantity", "MoneyQuantity"}
    definitions = []
    for name, raw in sorted(files.items()):
        if not name.startswith("StructureDefinition-"):
            continue
        sd = json.loads(raw)
        datatype = sd.get("kind") in ("primitive-type", "complex-type") and sd.get(
            "derivation"
        ) in ("specialization", None)
        if datatype or sd["id"] in wanted:
            write(os.path.join("StructureDefinition", name), raw)
            definitions.append(sd)

    value_sets = set()
    for sd in definitions:
        for el in sd.get("snapshot", {}).get("element", []):
            binding = el.get("binding", {})
            if binding.get("strength") in ("required", "extensible", "preferred"):
                if binding.get("valueSet"):
                    value_sets.add(binding["valueSet"].split("|")[0])
    # Resource types are a value set the server itself needs (unmodelled types in bundles).
    value_sets.add("http://hl7.org/fhir/ValueSet/resource-types")
    seen = set()
    pending = sorted(value_sets)
    while pending:
        url = pending.pop()
        if url in seen or url not in by_url:
            continue
        seen.add(url)
        name, raw, res = by_url[url]
        write(os.path.join(res["resourceType"], name), raw)
        if res["resourceType"] == "ValueSet":
            for part in ("include", "exclude"):
                for inc in res.get("compose", {}).get(part, []):
                    pending.extend(inc.get("valueSet", []))
                    if inc.get("system"):
                        pending.append(inc["system"])

    params = []
    for name, raw in sorted(files.items()):
        if name.startswith("SearchParameter-"):
            sp = json.loads(raw)
            sp.pop("text", None)
            params.append({"fullUrl": sp["url"], "resource": sp})
    bundle = {"resourceType": "Bundle", "id": "searchParams", "type": "collection", "entry": params}
    with open(os.path.join(HERE, "SearchParameter", "search-parameters.json"), "w", encoding="utf-8") as out:
        json.dump(bundle, out, indent=1, ensure_ascii=False, sort_keys=False)
        out.write("\n")

    write("CompartmentDefinition-patient.json", files["CompartmentDefinition-patient.json"])
    write("package.json", files["package.json"])


def write(rel, raw):
    with open(os.path.join(HERE, rel), "wb") as out:
        out.write(raw)


if __name__ == "__main__":
    main()
