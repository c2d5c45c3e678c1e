import ConsentCore
import Hummingbird

extension Request {
    /// The query parameter `name` as `true` or `false` (absent: false); anything else is a 400
    /// problem naming the parameter and what it holds.
    func flag(_ name: String) throws -> Bool {
        guard let text = uri.queryParameters.get(name).map({ String($0) }) else { return false }
        guard let flag = Bool(text) else { throw Problem.invalid(nil, "query \(name): \(jsonStringLiteral(text)) must be true or false") }
        return flag
    }
}
