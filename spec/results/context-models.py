# Measurement script behind the context-model figures in spec/design.md (run in a folder of token JSON files
# exported with: vqc tokens FILE.vqc --format json -o FILE.json). Back-off weight b is varied by hand.
# Ideal adaptive code length (bits/token) of the validation tokens under three models, each file coded
# independently (as a real .vqc is). Priors = shipped static tables, read from the model's own counts
# is not possible here, so the order-0 prior is estimated from the OTHER 23 images (leave-one-out),
# which is a fair stand-in for priors trained on separate data.
import json, glob, math
files = sorted(glob.glob('*.json'))
docs = [json.load(open(f)) for f in files]
K = 1024
L = len(docs[0]['levels'])
def counts(ds, level):
    c = [1.0] * K
    for d in ds:
        for t in d['levels'][level]['tokens']:
            c[t] += 1
    s = sum(c)
    return [x / s for x in c]
tot = {'order0-prior': 0.0, 'adaptive-order0': 0.0, 'ctx-left': 0.0, 'ctx-prevlevel': 0.0}
n = 0
for i, d in enumerate(docs):
    others = docs[:i] + docs[i+1:]
    w = d['levels'][0]['shape'][-1]   # images [H', W'], speech [frames]
    for l in range(L):
        prior = counts(others, l)
        toks = d['levels'][l]['tokens']
        prev = d['levels'][l-1]['tokens'] if l > 0 else None
        # order-0 static
        tot['order0-prior'] += sum(-math.log2(prior[t]) for t in toks)
        # adaptive order-0 starting from the prior (weight a)
        a = 512.0
        cnt = {}; tot_c = 0
        for t in toks:
            p = (cnt.get(t, 0) + a * prior[t]) / (tot_c + a)
            tot['adaptive-order0'] += -math.log2(p)
            cnt[t] = cnt.get(t, 0) + 1; tot_c += 1
        # context models: per-context adaptive counts backed off to the prior (weight b)
        for name, ctxof in (('ctx-left', lambda j: toks[j-1] if j % w else -1), ('ctx-prevlevel', lambda j: prev[j] if prev else -1)):
            b = 4.0
            cc = {}; cn = {}
            for j, t in enumerate(toks):
                c = ctxof(j)
                table = cc.setdefault(c, {})
                p = (table.get(t, 0) + b * prior[t]) / (cn.get(c, 0) + b)
                tot[name] += -math.log2(p)
                table[t] = table.get(t, 0) + 1; cn[c] = cn.get(c, 0) + 1
        n += len(toks)
for k, v in tot.items():
    print(f'{k:16s} {v / n:.4f} bits/token')
print('tokens', n)
