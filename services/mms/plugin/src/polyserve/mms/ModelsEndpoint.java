// GET /models: the polyserve models MMS has registered now, described as every backend does.
// The launcher writes each served model's description (name, version, tensors) as one line
// "<name><TAB><compact JSON>" in registry order into the file the config property
// polyserve_models_file names; this lists the lines of the models registered at the moment,
// so a model unregistered through the management API drops out.
package polyserve.mms;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.ai.mms.servingsdk.Context;
import software.amazon.ai.mms.servingsdk.Model;
import software.amazon.ai.mms.servingsdk.annotations.Endpoint;
import software.amazon.ai.mms.servingsdk.annotations.helpers.EndpointTypes;
import software.amazon.ai.mms.servingsdk.http.Request;
import software.amazon.ai.mms.servingsdk.http.Response;

@Endpoint(
        urlPattern = "models",
        endpointType = EndpointTypes.INFERENCE,
        description = "The served models: name, version, tensors (polyserve contract)")
public class ModelsEndpoint extends GetOnlyEndpoint {
    static final String FILE_PROPERTY = "polyserve_models_file";

    @Override
    public void doGet(Request request, Response response, Context context) throws IOException {
        String file = context.getConfig().getProperty(FILE_PROPERTY);
        if (file == null) {
            Replies.error(response, 503, "Service Unavailable", "ServiceUnavailable",
                    FILE_PROPERTY + " is not set: the launcher did not describe the models");
            return;
        }
        List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        Replies.send(response, 200, "OK", listed(lines, context.getModels()),
                Replies.CONTENT_TYPE);
    }

    // "[" + the descriptions of the registered models, in the file's order + "]".
    static String listed(List<String> lines, Map<String, Model> registered) {
        List<String> descriptions = new ArrayList<>();
        for (String line : lines) {
            int tab = line.indexOf('\t');
            if (tab > 0 && registered.containsKey(line.substring(0, tab))) {
                descriptions.add(line.substring(tab + 1));
            }
        }
        return "[" + String.join(",", descriptions) + "]";
    }
}
