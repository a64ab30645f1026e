// GET /ping: Healthy only when every registered model has a worker that has loaded it.
// Replaces MMS's own /ping, which answers 200 even when every worker is dead. The nginx front
// sends the Open Inference Protocol's health routes here too, as /ping?v2=live or ?v2=ready,
// and this answers them in that protocol's shape.
package polyserve.mms;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import software.amazon.ai.mms.servingsdk.Context;
import software.amazon.ai.mms.servingsdk.Model;
import software.amazon.ai.mms.servingsdk.Worker;
import software.amazon.ai.mms.servingsdk.annotations.Endpoint;
import software.amazon.ai.mms.servingsdk.annotations.helpers.EndpointTypes;
import software.amazon.ai.mms.servingsdk.http.Request;
import software.amazon.ai.mms.servingsdk.http.Response;

@Endpoint(
        urlPattern = "ping",
        endpointType = EndpointTypes.INFERENCE,
        description = "Healthy when every model has a READY worker (polyserve contract)")
public class PingEndpoint extends GetOnlyEndpoint {

    @Override
    public void doGet(Request request, Response response, Context context) throws IOException {
        List<String> v2 = request.getParameter("v2");
        String asked = v2 == null || v2.isEmpty() ? "" : v2.get(0);
        if (asked.equals("live")) {  // answering at all is being live
            Replies.send(response, 200, "OK", "{\"live\":true}", Replies.CONTENT_TYPE);
            return;
        }
        boolean healthy = healthy(context.getModels());
        int status = healthy ? 200 : 503;
        String phrase = healthy ? "OK" : "Service Unavailable";
        String body = asked.equals("ready")
                ? "{\"ready\":" + healthy + "}"
                : "{\"status\":\"" + (healthy ? "Healthy" : "Unhealthy") + "\"}";
        Replies.send(response, status, phrase, body, Replies.CONTENT_TYPE);
    }

    // isRunning() is true once the worker has loaded the model (MMS's READY).
    static boolean healthy(Map<String, Model> models) {
        if (models.isEmpty()) {
            return false;
        }
        for (Model model : models.values()) {
            if (model.getModelWorkers().stream().noneMatch(Worker::isRunning)) {
                return false;
            }
        }
        return true;
    }
}
