// Vendor code sample, copied verbatim (below the line) from the "JavaScript" sample of
// https://esendex.us/docs/sms-api/api/methods/CancelAllMessages (saved as ../shared/esendex/messaging-CancelAllMessages.txt).
// ---
const url = 'https://messaging.esendex.us/Messaging.svc/CancelAllMessages';
const response = await fetch(url, {
    headers: {
        'Accept': 'application/json',
        'Content-Type': 'application/json'
    },
    body: '00000000-0000-0000-0000-000000000000',
    method: 'POST'
});
const success = await response.json();

console.log(success);
