//! The data-flow model: the input is the body of a request handler that starts with
//! request input and ends at every kind of sink, in JavaScript or Python (the first byte
//! picks), so mutations exercise propagation, summaries, guards and recursion bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

const JS_HEAD: &str = "const fs = require('fs');\nfunction helper(v) { return v; }\napp.get('/f', async (req, res) => {\n  let x = req.query.x;\n";
const JS_TAIL: &str = "\n  pool.query('SELECT ' + x); fs.readFile(x, () => {}); res.redirect(x); new RegExp(x); eval(x); res.send(helper(x));\n});\n";
const PY_HEAD: &str = "from flask import request\nimport re\n\ndef helper(v):\n    return v\n\n@app.route('/f')\ndef f():\n    x = request.args['x']\n";
const PY_TAIL: &str = "\n    cursor.execute('SELECT ' + x)\n    open(x)\n    re.compile(helper(x))\n    eval(x)\n";

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let body = String::from_utf8_lossy(rest);
    let (name, text) = if first % 2 == 0 {
        ("src/handler.js", format!("{JS_HEAD}{body}{JS_TAIL}"))
    } else {
        let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
        ("app/handler.py", format!("{PY_HEAD}{indented}{PY_TAIL}"))
    };
    backend_audit_fuzz::scan_and_check(vec![(name.to_string(), text.into_bytes())]);
});
