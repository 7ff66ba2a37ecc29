# Vendor code sample, copied verbatim (below the line) from the "Python" sample of
# https://esendex.us/docs/sms-api/api/methods/CancelAllMessages (saved as ../shared/esendex/messaging-CancelAllMessages.txt).
# ---
import httpx

headers = {"Accept": "application/json"}
url = "https://messaging.esendex.us/Messaging.svc/CancelAllMessages"
request = "00000000-0000-0000-0000-000000000000"

with httpx.Client(headers=headers) as client:
    response = client.post(url=url, json=request)

response.raise_for_status()

print(response.json())
