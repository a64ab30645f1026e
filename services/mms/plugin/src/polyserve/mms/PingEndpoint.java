// GET /ping: Healthy only when every registered model has a worker that has loaded it.
// Replaces MMS's own /ping, which answers 200 even when every worker is dead.
package polyserve.mms;

import java.io.IOException;
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
        if (healthy(context.getModels())) {
            Replies.send(response, 200, "OK", "{\"status\":\"Healthy\"}", Replies.CONTENT_TYPE);
        } else {
            Replies.send(response, 503, "Service Unavailable", "{\"status\":\"Unhealthy\"}",
                    Replies.CONTENT_TYPE);
        }
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
