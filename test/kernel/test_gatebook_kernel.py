"""Debian's jupyter_kernel_test suite (a real Jupyter client nobody here wrote) against the
installed gatebook kernel. Run by test/kernel/conformance.test.ts with JUPYTER_PATH set."""
import os
import unittest

import jupyter_kernel_test


class GatebookKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("GATEBOOK_KERNEL_NAME", "gatebook-test")
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world");'
    code_stderr = 'console.error("oops");'
    code_generate_error = 'throw new RangeError("deliberately");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"gate" + "book"', "result": "gatebook"},
        {"code": "[1, 2].map((x: number) => x * 2)", "result": "[ 2, 4 ]"},
    ]
    code_display_data = [
        {"code": "import { display } from 'gatebook'; display({ data: [{ y: [1, 2] }], layout: {} });", "mime": "application/vnd.plotly.v1+json"},
        {"code": "import { display as show2 } from 'gatebook'; show2([1, 2, 3]);", "mime": "text/plain"},
        {"code": 'import * as tslab from "tslab"; tslab.display.html("<b>hi</b>");', "mime": "text/html"},
        {"code": 'import * as tslab2 from "tslab"; tslab2.display.markdown("**hi**");', "mime": "text/markdown"},
    ]
    completion_samples = [{"text": "Math.ma", "matches": {"max"}}]
    complete_code_samples = ["const a = 1;", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const x = [", "const s = `a template", "x +"]
    invalid_code_samples = ["))", "const = 5;", "if (x) {}\n}"]
    code_inspect_sample = "Math.max"
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 *"


if __name__ == "__main__":
    unittest.main()
