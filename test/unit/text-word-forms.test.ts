import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { otherForms, withWordForms, wordKey } from "../../server/src/text/index.ts";

describe("word forms of prose", () => {
  it("gives every inflected form of a word one key", () => {
    for (const group of [
      ["override", "overrides", "overriding"],
      ["deploy", "deploys", "deploying", "deployed"],
      ["image", "images"],
      ["entry", "entries"],
      ["apply", "applies", "applied", "applying"],
      ["stop", "stops", "stopped", "stopping"],
      ["match", "matches", "matched"],
      ["add", "adds", "added", "adding"],
    ]) {
      assert.equal(new Set(group.map(wordKey)).size, 1, `${group.join(", ")}: ${group.map(wordKey).join(", ")}`);
    }
  });

  it("keeps apart words that only look inflected, and derivations", () => {
    assert.notEqual(wordKey("thing"), wordKey("th"));
    assert.equal(wordKey("string"), "string");
    assert.equal(wordKey("status"), "status");
    assert.equal(wordKey("class"), "class");
    assert.notEqual(wordKey("general"), wordKey("generate"));
  });

  it("lists a word's other forms, not the word itself", () => {
    const forms = otherForms("deploying");
    for (const f of ["deploy", "deploys", "deployed"]) assert.ok(forms.includes(f), `${f} in ${forms.join(", ")}`);
    assert.ok(!forms.includes("deploying"));
    assert.ok(otherForms("images").includes("image"));
    assert.ok(otherForms("overrides").includes("override"));
    assert.deepEqual(otherForms("bus"), [], "short words have too many look-alikes");
  });

  it("adds forms of the prose words of a query, weighing less than the words written", () => {
    const terms = withWordForms([{ term: "override", weight: 1 }, { term: "images", weight: 1 }, { term: "usekustomize", weight: 3 }], "override images --use-kustomize");
    const weights = new Map(terms.map((t) => [t.term, t.weight]));
    assert.equal(weights.get("override"), 1);
    assert.ok(weights.get("overrides")! < 1);
    assert.ok(weights.has("image"));
    assert.ok(![...weights.keys()].some((t) => t.startsWith("usekustomiz") && t !== "usekustomize"), "an option's name is not prose");
  });
});
