const notCarried = ['ccxt','ssh2','zeromq','tslab','@aws-sdk','cpu-features'];
require('esbuild').build({
  stdin: { contents: "require('./lib/cli/main').main(process.argv);", resolveDir: process.cwd(), sourcefile: 'entry.ts', loader: 'ts' },
  bundle: true, platform: 'node', target: 'node20', outfile: process.argv[2], logLevel: 'error',
  external: ['@tensorflow/*', 'webgpu', 'nodejs-polars'],
  plugins: [{ name: 'not-carried', setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => notCarried.some((m) => a.path === m || a.path.startsWith(m + '/')) ? { path: a.path, namespace: 'not-carried' } : undefined);
    // a stub whose every property is another stub, so that `const { Upload } = require(...)` at load works;
    // calling or constructing one says the module was left out
    b.onLoad({ filter: /.*/, namespace: 'not-carried' }, (a) => ({ loader: 'js', contents: `
      const stub = (name) => new Proxy(function () {}, {
        get(_, k) { return k === '__esModule' || typeof k === 'symbol' ? undefined : stub(name + '.' + String(k)); },
        apply() { throw new Error(name + ': ${a.path} is not carried in the device payload'); },
        construct() { throw new Error(name + ': ${a.path} is not carried in the device payload'); },
      });
      module.exports = stub(${JSON.stringify(a.path)});` }));
  } }],
}).then(() => console.log('ok'));
