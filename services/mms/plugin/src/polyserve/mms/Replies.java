// What the endpoints answer with: the contract's JSON bodies and the X-Backend header.
package polyserve.mms;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import software.amazon.ai.mms.servingsdk.http.Response;

final class Replies {
    static final String BACKEND_HEADER = "X-Backend";
    static final String BACKEND = "mms";
    static final String CONTENT_TYPE = "application/json";
    // The wording of MMS's own 404/405, which the contract adopted (services/contract/errors.py).
    static final String METHOD_NOT_ALLOWED =
            "Requested method is not allowed, please refer to API document.";
    static final String RESOURCE_NOT_FOUND =
            "Requested resource is not found, please refer to API document.";

    private Replies() {}

    static void send(Response response, int status, String phrase, String json, String type)
            throws IOException {
        response.setStatus(status, phrase);
        response.setContentType(type);
        response.setHeader(BACKEND_HEADER, BACKEND);
        response.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
    }

    // {"code": status, "type": ..., "message": ...}, compact like services.contract.render.
    static void error(Response response, int status, String phrase, String type, String message)
            throws IOException {
        String json = "{\"code\":" + status + ",\"type\":" + quote(type)
                + ",\"message\":" + quote(message) + "}";
        send(response, status, phrase, json, CONTENT_TYPE);
    }

    static void methodNotAllowed(Response response) throws IOException {
        error(response, 405, "Method Not Allowed", "MethodNotAllowedException", METHOD_NOT_ALLOWED);
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
